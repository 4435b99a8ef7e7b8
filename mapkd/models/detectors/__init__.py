"""Whole map models: HDMapNet, MapKD student / coach / teacher, HD-prior pre-training."""
from .base import BaseMapModel, MapDataPreprocessor
from .hd_prior_pretrain_model import HDPriorPretrainModel
from .hdmapnet import HDMapNet
from .mapkd_coach import MapKDCoach
from .mapkd_student import MapKDStudent
from .mapkd_teacher import MapKDTeacher

__all__ = ['BaseMapModel', 'MapDataPreprocessor', 'HDMapNet', 'MapKDStudent', 'MapKDCoach', 'MapKDTeacher',
           'HDPriorPretrainModel']
